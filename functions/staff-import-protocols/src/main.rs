balcao_aws::http_function!(StaffImportProtocols, protocols::import);
