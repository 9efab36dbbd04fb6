balcao_aws::http_function!(StaffAssign, assignment::assign);
