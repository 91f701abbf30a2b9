-- 0006: reserved for the console (users' sessions, knowledge base).
SELECT 1;
