/*
 * Names for `caremail demo`: common British first and last names, with a
 * few accented and apostrophised ones so the address rules (folding, "o'")
 * show in the demo. Layer: front end (data only).
 */
#include "cli/cli_internal.h"

const char *const cli_demo_first_names[] = {
	"Oliver", "George", "Harry", "Jack", "Jacob", "Noah", "Charlie",
	"Thomas", "Oscar", "William", "James", "Henry", "Alfie", "Joshua",
	"Freddie", "Ethan", "Isaac", "Mohammed", "Daniel", "Samuel", "David",
	"Andrew", "Paul", "Mark", "Richard", "Rhys", "Gareth", "Aled",
	"Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Lily",
	"Freya", "Charlotte", "Evie", "Poppy", "Jessica", "Ruby", "Hannah",
	"Sarah", "Rebecca", "Laura", "Emma", "Helen", "Claire", "Rachel",
	"Margaret", "Susan", "Karen", "Priya", "Aisha", "Fatima", "Niamh",
	"Bethan", "Zoë", "Siân", "José", "Seán", "Chloé", "Renée",
};

const size_t cli_demo_first_name_count =
	sizeof(cli_demo_first_names) / sizeof(*cli_demo_first_names);

const char *const cli_demo_last_names[] = {
	"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans",
	"Wilson", "Thomas", "Johnson", "Roberts", "Robinson", "Thompson",
	"Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
	"Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner",
	"Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee",
	"King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott",
	"Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young",
	"Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson",
	"Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox",
	"Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis",
	"Adams", "Singh", "Begum", "Wilkinson", "Foster", "Chapman", "Powell",
	"Webb", "Rogers", "Ali", "Hussain", "Campbell", "O'Brien", "Okafor",
	"Mensah", "Nowak", "Núñez", "Lefèvre",
};

const size_t cli_demo_last_name_count =
	sizeof(cli_demo_last_names) / sizeof(*cli_demo_last_names);
