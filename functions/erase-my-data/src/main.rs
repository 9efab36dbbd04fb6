balcao_aws::http_function!(EraseMyData, my_data::erase);
