balcao_aws::http_function!(StaffAttachment, attachments::staff_download);
