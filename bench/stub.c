/* The stub docker client for the overhead comparison: a static program that
 * does nothing, so that only what runs before it is measured. */
int main(void) { return 0; }
