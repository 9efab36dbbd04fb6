balcao_aws::http_function!(ProtocolLookup, protocols::lookup);
