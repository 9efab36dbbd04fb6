balcao_aws::http_function!(GetOffice, offices::card);
