balcao_aws::http_function!(StaffPublishProtocol, protocols::publish);
