balcao_aws::http_function!(StaffStartAnalysis, staff_workflow::start_analysis);
