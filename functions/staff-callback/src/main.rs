balcao_aws::http_function!(StaffCallback, sign_in::callback);
