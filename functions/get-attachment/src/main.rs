balcao_aws::http_function!(GetAttachment, attachments::citizen_download);
