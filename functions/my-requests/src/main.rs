balcao_aws::http_function!(MyRequests, my_requests::list);
