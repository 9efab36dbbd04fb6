balcao_aws::http_function!(OpenRequest, open_request::submit);
