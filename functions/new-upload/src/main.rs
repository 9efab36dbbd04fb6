balcao_aws::http_function!(NewUpload, attachments::citizen_slot);
