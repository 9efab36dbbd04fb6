balcao_aws::http_function!(StaffMessage, staff_requests::message);
