balcao_aws::http_function!(GetTicket, ticket::show);
