balcao_aws::http_function!(StaffConclude, staff_workflow::conclusion);
