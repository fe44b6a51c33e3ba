"""Documents of a case: letters and the Veiligheidskaart, as HTML, PDF and iCalendar."""
