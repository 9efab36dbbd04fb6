balcao_aws::http_function!(RequestForm, open_request::form);
