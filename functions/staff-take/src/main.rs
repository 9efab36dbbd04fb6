balcao_aws::http_function!(StaffTake, pool::take);
