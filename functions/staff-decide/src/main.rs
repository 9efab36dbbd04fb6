balcao_aws::http_function!(StaffDecide, staff_workflow::decision);
