balcao_aws::http_function!(StaffOfficeSettings, office_settings::show);
