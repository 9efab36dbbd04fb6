balcao_aws::http_function!(AskMyData, my_data::ask);
