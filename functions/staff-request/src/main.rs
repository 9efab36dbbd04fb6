balcao_aws::http_function!(StaffRequest, staff_requests::show);
