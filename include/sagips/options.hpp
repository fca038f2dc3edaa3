#pragma once
// sagips options: one row per option (option.hpp), and what is derived from the rows: the command
// line with strict checks (cli.hpp, validators.hpp), config files (config_file.hpp) and the JSON
// record in summary.json (json.hpp).

#include "sagips/options/cli.hpp"
#include "sagips/options/config_file.hpp"
#include "sagips/options/json.hpp"
#include "sagips/options/assign.hpp"
#include "sagips/options/option.hpp"
#include "sagips/options/validators.hpp"
