balcao_aws::http_function!(AskMyRequests, my_requests::ask);
