balcao_aws::http_function!(StaffChecklist, staff_workflow::checklist);
