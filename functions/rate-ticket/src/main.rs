balcao_aws::http_function!(RateTicket, ratings::rate);
