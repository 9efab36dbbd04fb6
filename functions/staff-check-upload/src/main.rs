balcao_aws::http_function!(StaffCheckUpload, attachments::staff_check);
