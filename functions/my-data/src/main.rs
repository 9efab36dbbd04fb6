balcao_aws::http_function!(MyData, my_data::show);
