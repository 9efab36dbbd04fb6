balcao_aws::http_function!(StaffSignIn, sign_in::start);
