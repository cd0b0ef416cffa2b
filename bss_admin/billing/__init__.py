"""BSS pages of recurring billing (issue 17): billing runs (log, run now), invoices (print-out,
PDF, credit notes), Setup › Billing."""
