select a.*, c.country
from {{ ref('accounts_clean') }} as a
join {{ ref('country_codes') }} as c on a.country_code = c.code
