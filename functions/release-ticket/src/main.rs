balcao_aws::http_function!(ReleaseTicket, citizen_actions::release);
