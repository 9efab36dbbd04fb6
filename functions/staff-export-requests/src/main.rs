balcao_aws::http_function!(StaffExportRequests, reports::export);
