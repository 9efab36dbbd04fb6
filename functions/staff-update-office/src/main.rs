balcao_aws::http_function!(StaffUpdateOffice, office_settings::update);
