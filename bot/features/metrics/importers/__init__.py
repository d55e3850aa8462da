"""Post and account figures from the exports of the tools teams use: which tool wrote a file, how
it writes numbers, dates and addresses, and its rows read one at a time. Pure Python, no database."""
