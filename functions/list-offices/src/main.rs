balcao_aws::http_function!(ListOffices, offices::list);
