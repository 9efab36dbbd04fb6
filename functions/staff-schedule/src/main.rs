balcao_aws::http_function!(StaffSchedule, staff_workflow::appointment);
