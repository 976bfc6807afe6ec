select id from {{ ref('a+b') }} union all select id from {{ ref('a_b') }}
