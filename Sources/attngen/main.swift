// The attngen executable: everything lives in the AttnGen library (AttngenCommand), so that it is testable.
import AttnGen
import Foundation

exit(AttngenCommand.run(Array(CommandLine.arguments.dropFirst())))
