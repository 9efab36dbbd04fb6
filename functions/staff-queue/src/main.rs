balcao_aws::http_function!(StaffQueue, staff_requests::queue);
