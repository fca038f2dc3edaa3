// Must not compile: an exchange strategy sagips does not know.
#include <sagips/exchange.hpp>

struct MyOwnRing {};

int main() { return sagips::exchange::traits<MyOwnRing>::overlaps ? 1 : 0; }
