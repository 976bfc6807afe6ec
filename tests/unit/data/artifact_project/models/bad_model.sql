select missing_col from {{ ref('people') }}
