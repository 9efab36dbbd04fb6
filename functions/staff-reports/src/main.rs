balcao_aws::http_function!(StaffReports, reports::show);
