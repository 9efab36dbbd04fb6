balcao_aws::http_function!(StaffNewUpload, attachments::staff_slot);
