balcao_aws::http_function!(ExportMyData, my_data::export);
