balcao_aws::http_function!(StaffModerate, ratings::moderate);
