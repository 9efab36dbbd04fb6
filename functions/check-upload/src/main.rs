balcao_aws::http_function!(CheckUpload, attachments::citizen_check);
