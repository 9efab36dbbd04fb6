balcao_aws::http_function!(StaffRatings, ratings::list);
