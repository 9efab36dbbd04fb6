balcao_aws::http_function!(StaffNote, notes::add);
