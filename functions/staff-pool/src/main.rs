balcao_aws::http_function!(StaffPool, pool::list);
