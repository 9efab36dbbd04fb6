balcao_aws::http_function!(StaffSignOut, sign_in::sign_out);
